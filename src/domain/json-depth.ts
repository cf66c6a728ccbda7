/**
 * Whether a parsed JSON value nests deeper than `maxDepth` arrays/objects. Iterative, so a
 * hostile document cannot exhaust the stack; SQLite's JSON functions refuse depth over 1000,
 * and the relay stores and re-sends these values through them.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
