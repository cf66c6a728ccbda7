/** /assets/favicon.svg: so that browsers do not ask for /favicon.ico (an API 404). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d232b"/><path d="M3 9h3l2-5 2 8 2-3h1" fill="none" stroke="#8fb0f0" stroke-width="1.6"/></svg>`;
