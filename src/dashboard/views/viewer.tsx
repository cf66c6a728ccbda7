import type { FC } from "hono/jsx";
import { withParams } from "./format";

export interface TenantName {
  id: string;
  name: string;
}

/**
 * Who is looking, for the header and the filters: a tenant's session (its own tenant only), or the
 * admin's (every tenant, or the one `?tenant=` names: `filter`).
 */
export type Viewer = { kind: "tenant"; tenant: TenantName } | { kind: "admin"; tenants: TenantName[]; filter?: string };

/** The admin's `?tenant=` filter, to keep on links and forms; a tenant session has none. */
export const filterOf = (viewer: Viewer | undefined) => (viewer?.kind === "admin" ? viewer.filter : undefined);

/** Tenant id -> name, for the admin's tenant column; undefined for a tenant session (no column). */
export const tenantColumn = (viewer: Viewer | undefined): ReadonlyMap<string, string> | undefined =>
  viewer?.kind === "admin" ? new Map(viewer.tenants.map((t) => [t.id, t.name])) : undefined;

/** A dashboard link keeping the admin's tenant filter. */
export const keepFilter = (href: string, viewer: Viewer | undefined) => withParams(href, { tenant: filterOf(viewer) });

/**
 * A task's page: task ids are unique only within a tenant and a provider, so the link names both
 * (the provider only when it is not the default, `cometapi`).
 */
export const taskHref = (taskId: string, tenantId: string, provider = "cometapi") =>
  `/dashboard/tasks/${encodeURIComponent(taskId)}?tenant=${encodeURIComponent(tenantId)}${provider === "cometapi" ? "" : `&provider=${encodeURIComponent(provider)}`}`;

const label = (t: TenantName) => (t.name === t.id ? t.id : `${t.name} (${t.id})`);

/** "tenant <name> <id>", the id left out when it is the name (the built-in `default`). */
const TenantLabel: FC<{ tenant: TenantName }> = ({ tenant }) => (
  <>
    tenant <strong>{tenant.name}</strong>
    {tenant.name === tenant.id ? null : (
      <>
        {" "}
        <code>{tenant.id}</code>
      </>
    )}
  </>
);

/** The header's "logged in as": the tenant, or the admin with what it is looking at. */
export const WhoIsLoggedIn: FC<{ viewer: Viewer }> = ({ viewer }) => {
  if (viewer.kind === "tenant")
    return (
      <span class="who" data-tenant={viewer.tenant.id}>
        <TenantLabel tenant={viewer.tenant} />
      </span>
    );
  const filtered = viewer.filter === undefined ? undefined : viewer.tenants.find((t) => t.id === viewer.filter);
  return (
    <span class="who" data-admin>
      <strong>admin</strong> —{" "}
      {viewer.filter === undefined ? (
        "all tenants"
      ) : filtered ? (
        <TenantLabel tenant={filtered} />
      ) : (
        <>
          no tenant <code>{viewer.filter}</code>
        </>
      )}
    </span>
  );
};

/** The admin's tenant `<select>` (name `tenant`), for a GET form; nothing for a tenant session. */
export const TenantSelect: FC<{ viewer: Viewer | undefined }> = ({ viewer }) =>
  viewer?.kind === "admin" ? (
    <label>
      tenant{" "}
      <select name="tenant">
        <option value="" selected={viewer.filter === undefined}>
          all tenants
        </option>
        {viewer.tenants.map((t) => (
          <option value={t.id} selected={t.id === viewer.filter}>
            {label(t)}
          </option>
        ))}
        {viewer.filter !== undefined && !viewer.tenants.some((t) => t.id === viewer.filter) ? (
          <option value={viewer.filter} selected>
            {viewer.filter} (no such tenant)
          </option>
        ) : null}
      </select>
    </label>
  ) : null;

/**
 * The admin's tenant filter as a form of its own (GET, no script): `keep` are the page's other
 * filters, sent along unchanged. Nothing for a tenant session.
 */
export const TenantFilter: FC<{ viewer: Viewer | undefined; action: string; keep?: Record<string, string | undefined> }> = ({
  viewer,
  action,
  keep = {},
}) =>
  viewer?.kind === "admin" ? (
    <form method="get" action={action} class="filters tenant-filter">
      {Object.entries(keep).map(([name, value]) => (value === undefined ? null : <input type="hidden" name={name} value={value} />))}
      <TenantSelect viewer={viewer} />
      <button type="submit">Show</button>
    </form>
  ) : null;
