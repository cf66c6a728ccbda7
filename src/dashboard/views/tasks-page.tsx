import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import { ACTION_PAIRS } from "../../domain/kling";
import type { Cursor } from "../../storage/keyset";
import { TASK_STATES, type TaskListRow, type TaskState } from "../../storage/list-tasks";
import { Layout } from "./layout";
import { Pager } from "./pager";
import { TaskTable } from "./task-table";
import { filterOf, TenantSelect, tenantColumn, type Viewer } from "./viewer";

const KINDS = Object.entries(ACTION_PAIRS).flatMap(([action, action2s]) => action2s.map((action2) => `${action}/${action2}`));

export interface TasksPageProps {
  rows: TaskListRow[];
  state: TaskState;
  kind?: string;
  after?: Cursor;
  next: Cursor | null;
  session: Session;
  viewer: Viewer;
  now: number;
  notFound?: string;
}

/**
 * Every task, filterable by state and kind (and for the admin by tenant), a page at a time; a task
 * id opens its detail (of the filtered tenant, for the admin).
 */
export const TasksPage: FC<TasksPageProps> = ({ rows, state, kind, after, next, session, viewer, now, notFound }) => (
  <Layout title="Tasks" section="tasks" session={session} viewer={viewer} now={now}>
    <h1>Tasks</h1>
    <form method="get" action="/dashboard/tasks" class="filters">
      <TenantSelect viewer={viewer} />
      <label>
        state{" "}
        <select name="state">
          {TASK_STATES.map((s) => (
            <option value={s} selected={s === state}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        kind{" "}
        <select name="kind">
          <option value="" selected={!kind}>
            all
          </option>
          {KINDS.map((k) => (
            <option value={k} selected={k === kind}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
      <label class="find">
        task id <input name="task_id" autocomplete="off" placeholder="open a task by id" />
      </label>
    </form>
    {notFound ? (
      <p class="notice notice-warn" role="status">
        No task {notFound} is registered.
      </p>
    ) : null}
    <section id="tasks-table" data-live>
      <TaskTable rows={rows} now={now} tenants={tenantColumn(viewer)} />
      <Pager path="/dashboard/tasks" filters={{ tenant: filterOf(viewer), state, kind }} after={after} next={next} />
    </section>
  </Layout>
);
