/**
 * The relay's API as types, generated from its OpenAPI document by openapi-typescript: do not edit.
 * After changing a route or a schema: `npm run client:api` at the repository's root.
 */

export interface paths {
    "/kling/v1/{action}/{action2}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a task, CometAPI's way
         * @description CometAPI's create, for an app that speaks CometAPI: change only the base URL (to the relay's) and the key (to a relay key). The body goes upstream as it is, except that a `callback_url` becomes a subscription of this tenant (signed, retried) and upstream gets the relay's inbound URL. Answers CometAPI's envelope; errors answer the relay's. `Idempotency-Key` as on POST /v1/tasks.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    action: string;
                    action2: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Created: `data.task_id` */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CometApiAnswer"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Upstream refused the create: `upstream` holds its code and message; nothing was registered */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Upstream did not create the task, or did not say whether it did: nothing was registered; a retry with the same `Idempotency-Key` is safe */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/kling/v1/{action}/{action2}/{task_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Query a task, CometAPI's way
         * @description CometAPI's query: answered from the relay's last view of the task when it is at most POLL_MIN_INTERVAL_SECONDS old or final (`x-relay-cache: hit`), otherwise after one upstream poll (`miss`); a task this tenant does not have is passed through to upstream as it is (`pass`), whatever upstream answers, when the tenant may reach it there (its own account, or a `trusted` tenant and an id no other tenant created: else 403 `own_credentials_required` or 404 `task_not_found`), at most `caps.passthrough_per_minute` a minute (429 `passthrough_limit_reached`).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    action: string;
                    action2: string;
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The task, in CometAPI's envelope */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CometApiAnswer"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Upstream did not create the task, or did not say whether it did: nothing was registered; a retry with the same `Idempotency-Key` is safe */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health check
         * @description No authentication. 200: the Worker is up and its configuration valid; it also says whether secrets are sealed at rest (SECRETS_KEY). 503 `misconfigured` while a setting is invalid: `details` names each one (never its value), as every other route answers then.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The Worker is up and its configuration valid */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Health"];
                    };
                };
                /** @description The relay is misconfigured: `details` names each invalid setting and what it must be, never a value */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register a callback for a Kling task, or create the task through the relay
         * @description Answers 201 with a new subscription, or 200 with the existing one when the same (provider, task_id, callback_url) is registered again: it takes this registration's events and metadata (a cancelled or delivered one becomes active again, a failed one stays failed). Messages not attempted yet carry the new metadata; a message already attempted keeps its bytes. Registering a task that already finished sends the final event at once.
         *
         *     **Creating through the relay**: `create` instead of `task_id` holds the upstream create body (with `action`/`action2`, or `path` for Kling's new API). The relay sends it with its own callback URL (when `PUBLIC_BASE_URL` and `INBOUND_TOKEN` are set) and an external task id, registers the task it got and answers 201 with the subscription (its `task_id` is upstream's). Upstream's refusal answers 422 `upstream_rejected` with upstream's code and message; when upstream did not create it, or did not say and a lookup by the external id cannot tell, 502 `upstream_unavailable` with nothing registered. Up to 10 MiB for a create (images as base64), 16 KiB otherwise.
         *
         *     `Idempotency-Key` (1-255 printable ASCII characters, creates only): the same key from the same tenant on the same method and path within 24 hours answers the first result again (`Idempotent-Replayed: true`) with no second upstream create; while the first request runs, 409; with another body, 409. After a 502 a retry with the same key is safe: it uses the same external task id, and when the first attempt lost upstream's answer it looks that id up before creating, so a task the first attempt did create is found, never duplicated. A refusal is never looked up.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Creates only: makes a retry safe (24 hours) */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Registration"];
                };
            };
            responses: {
                /** @description The existing subscription for this task and URL */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Subscription"];
                    };
                };
                /** @description A new subscription (for a create: of the task just created) */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Subscription"];
                    };
                };
                /** @description The body is invalid (`invalid_request`), or the tenant has no upstream account for the provider (`upstream_not_configured`) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `own_credentials_required`: on the operator's account this tenant reaches only the tasks the relay created for it */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `task_not_found`: another tenant created this task through the relay */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The task id is registered with another action pair; an `Idempotency-Key` still running, or used with another body; or a cap is reached (`endpoint_limit_reached`, `subscription_limit_reached`) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB (10 MiB with `create`) */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Upstream refused the create: `upstream` holds its code and message; nothing was registered */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Rate limited (`rate_limited`), or the tenant's cap of unsettled tasks is reached (`active_task_limit_reached`); `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Upstream did not create the task, or did not say whether it did: nothing was registered; a retry with the same `Idempotency-Key` is safe */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register callbacks for up to 100 tasks at once
         * @description Each item is a registration exactly as POST /v1/tasks takes it, and gets the answer POST /v1/tasks would give it, in `results` in the same order: 201 or 200 with the subscription, or 400 or 409 with the error. A bad item fails only itself. The valid items are written together, in one transaction. An item naming the same (provider, task_id, callback_url) as an earlier valid item answers 409 and is not written. Every item counts against the registration rate limit, valid or not. The body: 1-100 items, at most 512 KiB (metadata still at most 4096 bytes per item).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["BatchRegistration"];
                };
            };
            responses: {
                /** @description One result per item, in order */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["BatchRegistrationResults"];
                    };
                };
                /** @description The body is not an object with `tasks`, an array of 1-100 items (a bad item answers in `results`) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 512 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix, or the items do not fit in this API key's registration rate limit (nothing is written); `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/{task_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The relay's view of a task
         * @description Its last upstream status and data, its polling state, and every subscription with every delivery attempt.
         */
        get: {
            parameters: {
                query?: {
                    /** @description The task's provider (default `cometapi`) */
                    provider?: "cometapi" | "kling";
                };
                header?: never;
                path: {
                    /** @description 1-128 characters of A-Z a-z 0-9 _ - */
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The task */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Task"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/{task_id}/outputs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A task's outputs with fresh links to their archived copies
         * @description The outputs as the webhook gives them (empty until the task succeeds), each with what became of its archived files (registered with `archive: true`): `archived_url` (`archived_watermark_url`, `archived_mp3_url`, `archived_wav_url`) for every copied file, a link signed now and valid `ARCHIVE_LINK_TTL_SECONDS` (until `links_expire_at`), so a link is never more than a request away; `archive_error` as the webhook words it for a file given up or deleted by retention (the first such file of the output); `archive_status: "pending"` while a file is still being copied.
         *
         *     Reads only what the relay stored: never upstream. Answered with `Cache-Control: no-store`: its links are credentials.
         */
        get: {
            parameters: {
                query?: {
                    /** @description The task's provider (default `cometapi`) */
                    provider?: "cometapi" | "kling";
                };
                header?: never;
                path: {
                    /** @description 1-128 characters of A-Z a-z 0-9 _ - */
                    task_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The outputs, with their archived copies */
                200: {
                    headers: {
                        /** @description `no-store` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TaskOutputs"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscriptions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One subscription with its deliveries */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The subscription */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SubscriptionWithDeliveries"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /**
         * Cancel a subscription
         * @description Its pending messages stop; a task with no active subscription stops being polled. Cancelling twice is fine.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Cancelled */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subscriptions/{id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send the latest event again
         * @description A new attempt of the same message (same webhook-id) with a fresh retry schedule, also after it failed. The subscription becomes active again. A task.succeeded of an archived task gets its archived_url links signed anew.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Queued for delivery */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SubscriptionWithDeliveries"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Nothing was sent yet, or the subscription is cancelled */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One endpoint */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Endpoint"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete an endpoint
         * @description Its active subscriptions are cancelled, with every webhook still pending for its subscriptions; their tasks stop polling if nobody else waits for them; its signing secrets are gone. Its delivered and failed subscriptions stay listed, and cannot be redelivered. A later registration of the same URL makes a new endpoint, with a new secret.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /**
         * Change how an endpoint signs, or its rate limit
         * @description `signing`: with `v1a` on, every webhook also carries a `v1a,<base64>` Ed25519 signature (Standard Webhooks' asymmetric scheme), verified with the endpoint's `public_key` (`whpk_`): a receiver that holds only the public key holds nothing that can sign. Turning it on again keeps the key pair; turning it off drops it.
         *
         *     `rate_limit_per_second`: at most that many webhooks a second reach the endpoint, evenly spaced, whichever tick or queue consumer sends them; webhooks beyond it wait their turn (none is dropped, and waiting spends no attempt). null lifts the limit.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["EndpointUpdate"];
                };
            };
            responses: {
                /** @description The endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Endpoint"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your endpoints
         * @description Oldest first, a page at a time. An endpoint is created by the first registration of its URL.
         */
        get: {
            parameters: {
                query?: {
                    /** @description 1-200, default 50 */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    after?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of endpoints */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["EndpointList"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}/secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The endpoint's signing secret
         * @description What its receiver verifies `v1` signatures with. Keep it as secret as an API key.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The current secret */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["EndpointSecret"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The secret is sealed with a key SECRETS_KEY does not hold (see the logs) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate the endpoint's signing secret
         * @description A new secret signs from now on; the old one goes on signing beside it for SECRET_ROTATION_OVERLAP_HOURS (default 24), so the receiver can switch without losing a webhook. A secret left over from an earlier rotation stops at once.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The endpoint, with when the old secret stops */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Endpoint"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turn an endpoint on again
         * @description After fixing a receiver that was disabled (or whose circuit is open): it is healthy again, its circuit closed, and the webhooks still waiting for it are sent again at the next tick. Webhooks that already ended `failed` (`endpoint_disabled`) stay so. Registrations to it are accepted again.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The endpoint, with its `health` */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Endpoint"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turn an endpoint off
         * @description Nothing more is sent to it: at the next ticks its active subscriptions end `failed` (`endpoint_disabled`) with their pending webhooks, and registrations to it answer 409 `endpoint_disabled` until it is enabled. What the relay does by itself after `ENDPOINT_DISABLE_AFTER_HOURS` of failures.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The endpoint, with its `health` */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Endpoint"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/endpoints/{id}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send every failed message since a time again
         * @description After an outage of your receiver: each failed message of this endpoint created since `since`, oldest first, at most 1000 a request, is sent again as a redelivery sends one (same webhook-id, a fresh retry schedule, its subscription active again). Messages of cancelled subscriptions stay failed. A disabled endpoint answers 409 `endpoint_disabled`: enable it first (`POST /v1/endpoints/{id}/enable`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["EndpointRecover"];
                };
            };
            responses: {
                /** @description How many were queued for delivery */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["EndpointRecovered"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The endpoint is disabled (`endpoint_disabled`) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your webhook messages
         * @description Newest first, a page at a time, optionally only one endpoint's (an endpoint you do not have answers 404) or one status's.
         */
        get: {
            parameters: {
                query?: {
                    /** @description Only the messages of this endpoint's subscriptions */
                    endpoint_id?: string;
                    /** @description Only messages in this status */
                    status?: "pending" | "delivered" | "failed" | "cancelled";
                    /** @description `next_cursor` of the previous page */
                    after?: string;
                    /** @description 1-200, default 50 */
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of messages */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MessageList"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/{id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A message's delivery attempts
         * @description Oldest first, at most 100.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The message's id (its `webhook-id`) */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The attempts */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MessageAttemptList"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/credentials/{provider}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Whether this tenant has its own upstream credentials for a provider
         * @description Never a value: only whether they exist, the last 4 characters of the key, and when they changed.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What the relay shows of them */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UpstreamCredentials"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Store this tenant's own upstream credentials for a provider
         * @description Replaces any before. From now on every upstream call for this tenant's tasks of the provider (creates, polls, queries) uses them, and upstream decides which task ids it may reach. Stored AES-256-GCM sealed under SECRETS_KEY: without it, 400 and nothing is stored. Never shown again: `GET` answers only the last 4 characters.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpstreamCredentialsBody"];
                };
            };
            responses: {
                /** @description Stored: what GET shows of them */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UpstreamCredentials"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Delete this tenant's own upstream credentials for a provider
         * @description Its tasks on its own account wait (a configuration error) until it stores credentials again; new registrations of the provider answer 400 `upstream_not_configured` unless the operator lends its account (`shared_upstream`). Deleting twice is fine.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your audit log
         * @description What was done to your tenant and by its keys (keys made and revoked, signing secrets read and rotated, endpoints deleted, suspension), newest first. Time, actor (the admin, or a key's id and prefix), action, target, the client's address and small facts; never a secret. Kept AUDIT_RETENTION_DAYS (default 90).
         */
        get: {
            parameters: {
                query?: {
                    /** @description 1-200, default 50 */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of entries */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuditList"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every tenant
         * @description Oldest first, the built-in `default` tenant (the keys of RELAY_API_KEYS) among them.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The tenants */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TenantList"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Create a tenant */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TenantBody"];
                };
            };
            responses: {
                /** @description The new tenant */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/tenants/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One tenant, with its flags and caps */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The tenant */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete a tenant
         * @description At once, the tenant answers 404 everywhere (the admin API, `Relay-Tenant`) and its keys and sessions stop working; nothing more is polled or delivered for it. Then the cron tick removes every row of it (tasks, subscriptions, messages, attempts, endpoints and their secrets, keys, idempotency keys) and its archived files' objects, a bounded slice per tick, and the tenant last. Its audit entries stay until AUDIT_RETENTION_DAYS. The built-in `default` tenant (the keys of RELAY_API_KEYS) cannot be deleted: 409 `conflict`.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted: its rows go in the following ticks */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The built-in `default` tenant cannot be deleted */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /**
         * Change a tenant: its name, whether it may use the operator's upstream account, its caps
         * @description `shared_upstream`: the operator's credentials serve its tasks where it has none of its own, and what it creates there is its alone. `trusted`: it may also register and query there task ids the relay did not create for it. New tenants have neither; the built-in `default` tenant always has both. `caps` are merged: a cap set to null goes back to its default.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TenantChanges"];
                };
            };
            responses: {
                /** @description The tenant */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/admin/tenants/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A tenant's keys
         * @description Revoked ones included, oldest first; never the keys themselves.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The keys */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKeyList"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create an API key for a tenant
         * @description The answer's `key` is the only time the key is shown: the relay keeps its SHA-256 and its visible prefix.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The new key, shown this once */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["NewApiKey"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description At once: the key and every dashboard session made from it stop working. Revoking twice is fine.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/tenants/{id}/credentials/{provider}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Whether a tenant has its own upstream credentials for a provider
         * @description Never a value: only whether they exist, the last 4 characters of the key, and when they changed.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What the relay shows of them */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UpstreamCredentials"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Store a tenant's own upstream credentials for a provider
         * @description Replaces any before. From now on every upstream call for this tenant's tasks of the provider (creates, polls, queries) uses them, and upstream decides which task ids it may reach. Stored AES-256-GCM sealed under SECRETS_KEY: without it, 400 and nothing is stored. Never shown again: `GET` answers only the last 4 characters.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpstreamCredentialsBody"];
                };
            };
            responses: {
                /** @description Stored: what GET shows of them */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UpstreamCredentials"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Delete a tenant's own upstream credentials for a provider
         * @description Its tasks on its own account wait (a configuration error) until it stores credentials again; new registrations of the provider answer 400 `upstream_not_configured` unless the operator lends its account (`shared_upstream`). Deleting twice is fine.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    /** @description `cometapi` or `kling` */
                    provider: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/tenants/{id}/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Suspend a tenant
         * @description At once, its keys and dashboard sessions answer 403 `tenant_suspended`; nothing is polled, created or delivered for it (callbacks about its tasks are noted, not acted on). Nothing is lost: its due work waits, no delivery attempt is spent, and all of it goes on after the resume. The admin may still act for it (`Relay-Tenant`). Suspending twice keeps the first time.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The tenant */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/tenants/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a suspended tenant
         * @description Its keys work again, and its work that waited is due again from the next tick on (bounded per tick: a large backlog goes on over a few). Resuming a tenant that is not suspended changes nothing.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The tenant */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Tenant"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The relay's audit log
         * @description Every entry, newest first, or one tenant's (`tenant`, deleted ones included). Time, actor (the admin, or a key's id and prefix), action, target, the client's address and small facts; never a secret. Kept AUDIT_RETENTION_DAYS (default 90).
         */
        get: {
            parameters: {
                query?: {
                    /** @description 1-200, default 50 */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string;
                    /** @description Only this tenant's entries */
                    tenant?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of entries */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuditList"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such task, subscription or route */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/operations-endpoint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where operational events go */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The operations endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OperationsEndpoint"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description None is set */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Receive operational events at a URL
         * @description Signed Standard Webhooks about the tenant's own delivery: `endpoint.circuit_opened`, `endpoint.recovered`, `endpoint.disabled`, `subscription.failed`, `task.expired` (docs/operations.md). The URL becomes one of the tenant's endpoints (the same one, with the same secret, when callbacks are already registered to it); 201 when this call created it, with its secret, shown this once. Events still waiting are sent to the new URL.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["OperationsEndpointUpdate"];
                };
            };
            responses: {
                /** @description Set, to an endpoint the tenant already had */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OperationsEndpoint"];
                    };
                };
                /** @description Set, to an endpoint made now: `secret` holds its signing secret */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OperationsEndpoint"];
                    };
                };
                /** @description Invalid request: `details` lists the fields */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 16 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body not sent as application/json */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /**
         * Stop sending operational events
         * @description Events still waiting are not sent (the dashboard shows every event). The endpoint itself stays, with any subscriptions to it: delete it under `/v1/endpoints/{id}`.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No longer sent */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or unknown API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description None is set */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/inbound/{provider}/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upstream callback
         * @description Where upstream calls back when a task changes (the `callback_url` the relay gives on creates, or that you give Kling and CometAPI yourself: `{PUBLIC_BASE_URL}/inbound/{provider}/{INBOUND_TOKEN}`).
         *
         *     The body is the provider's callback: the legacy query's `data` object (`task_id`, `task_status`, ...) or the new API's task object (`id`, `status`, ...).
         *
         *     The callback is a hint: the named task (every tenant's task of that provider and id) is polled at once and its webhooks go out right away; a callback for a task not registered yet is remembered for 10 minutes. With `KLING_WEBHOOK_SECRET` set, a `kling` callback must be signed (Standard Webhooks, 5 minutes of tolerance) and is then taken as the task's state without a poll.
         *
         *     A task is polled at most once per `POLL_MIN_INTERVAL_SECONDS`: a callback that comes sooner after its last poll is confirmed when that interval ends, still in the callback's own invocation, so its webhook follows within the interval and a few seconds; only an interval that ends more than 15 s after the callback is left to the next cron tick.
         *
         *     Answers 200 at once, whatever the task; 404 when `INBOUND_TOKEN` is unset or the token is wrong.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: "cometapi" | "kling";
                    /** @description `INBOUND_TOKEN` */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Received: the task is polled (or its state taken) in the background */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            received: true;
                        };
                    };
                };
                /** @description The body is not a callback (no task id or status) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A `kling` callback without a valid signature while `KLING_WEBHOOK_SECRET` is set */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Callbacks off (`INBOUND_TOKEN` unset), a wrong token, or an unknown provider */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 64 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/inbound/{provider}/t/{tenant}/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upstream callback from a tenant's own account
         * @description The callback URL the relay gives upstream for a task created on a tenant's own account (`PUT /v1/credentials/{provider}`): it names the tenant, with a token of its own derived from `INBOUND_TOKEN`.
         *
         *     It reaches only that tenant's tasks on its own account. When the tenant's credentials hold a `webhook_secret`, the callback must be signed with it (Standard Webhooks, 5 minutes of tolerance) and is then taken as the task's state; otherwise it is a hint, and the task is polled with the tenant's credentials.
         *
         *     Answers 200 at once; 404 when callbacks are off, the token is wrong, or the tenant has no credentials for the provider.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    provider: "cometapi" | "kling";
                    /** @description The tenant's id */
                    tenant: string;
                    /** @description The tenant's token, derived from `INBOUND_TOKEN` */
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Received: the task is polled (or its state taken) in the background */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            received: true;
                        };
                    };
                };
                /** @description The body is not a callback (no task id or status) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A callback without a valid signature while the tenant's credentials hold a `webhook_secret` */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`) */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Callbacks off (`INBOUND_TOKEN` unset), a wrong token, an unknown provider, or no credentials of the tenant for it */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Body over 64 KiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The tenant's credentials are sealed with a key SECRETS_KEY does not hold (see the logs) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document
         * @description OpenAPI 3.1, generated from the zod schemas that validate requests. An interactive reference is served at /docs.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The OpenAPI document */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            openapi: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/files/{tenant}/{provider}/{task_id}/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An archived output file
         * @description The link a webhook's `archived_url` holds when the relay archives outputs (the `ARCHIVE` R2 bucket): `{PUBLIC_BASE_URL}/files/{tenant}/{provider}/{task_id}/{index}-{field}?expires=...&signature=...`. No API key: the signature (HMAC-SHA256 with `ARCHIVE_LINK_SECRET`) is the credential, and the link works until `expires` (`ARCHIVE_LINK_TTL_SECONDS` after it was made, 7 days by default). Use the link as it came: a segment's own `%` is sent as `%25`.
         *
         *     `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` answer 206 with `Content-Range` (one range; several are answered with the whole file), `If-Range` with the ETag keeps the range, `If-None-Match` answers 304. HEAD answers the same headers without the body.
         */
        get: {
            parameters: {
                query: {
                    /** @description Unix seconds: the first second the link no longer works */
                    expires: string;
                    /** @description base64url HMAC-SHA256 over `{key}\n{expires}` */
                    signature: string;
                };
                header?: never;
                path: {
                    /** @description The tenant id */
                    tenant: string;
                    /** @description The task's provider */
                    provider: string;
                    /** @description The task id */
                    task_id: string;
                    /** @description `{output index}-{field}`: which output, and which of its URL fields was copied */
                    file: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The file, streamed, with the `Content-Type` it was archived with (`application/octet-stream` when none) */
                200: {
                    headers: {
                        /** @description Bytes in this answer */
                        "Content-Length"?: string;
                        /** @description The object's entity tag: send it as `If-None-Match` (304) or `If-Range` */
                        ETag?: string;
                        /** @description `bytes` */
                        "Accept-Ranges"?: string;
                        /** @description `private, max-age=<seconds until the link expires>` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "*/*": string;
                    };
                };
                /** @description The range asked for */
                206: {
                    headers: {
                        /** @description Bytes in this answer */
                        "Content-Length"?: string;
                        /** @description The object's entity tag: send it as `If-None-Match` (304) or `If-Range` */
                        ETag?: string;
                        /** @description `bytes` */
                        "Accept-Ranges"?: string;
                        /** @description `private, max-age=<seconds until the link expires>` */
                        "Cache-Control"?: string;
                        /** @description `bytes a-b/size` */
                        "Content-Range"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "*/*": string;
                    };
                };
                /** @description `If-None-Match` names the file's ETag */
                304: {
                    headers: {
                        /** @description The object's entity tag: send it as `If-None-Match` (304) or `If-Range` */
                        ETag?: string;
                        /** @description `private, max-age=<seconds until the link expires>` */
                        "Cache-Control"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description The link has expired, was altered, or has no `expires` or `signature` */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such file, or no archive here (the `ARCHIVE` bucket or `ARCHIVE_LINK_SECRET` is not set) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The file was replaced twice while it was being read: try again */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The range starts past the end of the file: `Content-Range: bytes *\/size` */
                416: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    taskEvent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A task event, POSTed to your callback_url
         * @description Signed with the Standard Webhooks scheme: headers `webhook-id` (the same on every attempt: deduplicate on it), `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64>`, one per secret). Verify the raw body, e.g. with `verifyWebhook` from the typed client or any Standard Webhooks library.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["WebhookEvent"];
                };
            };
            responses: {
                /** @description Any 2xx: delivered */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Gone: the subscription fails at once, no more attempts */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        WebhookEvent: {
            /** @enum {string} */
            type: "task.submitted" | "task.processing" | "task.succeeded" | "task.failed" | "task.expired";
            /**
             * Format: date-time
             * @description When the relay saw the change
             * @example 2026-11-24T05:06:09.935Z
             */
            timestamp: string;
            subscription_id: string;
            /** @enum {string} */
            provider: "cometapi" | "kling";
            task_id: string;
            metadata: {
                [key: string]: unknown;
            } | null;
            /** @enum {string|null} */
            reason: "max_age" | "not_found" | "upstream_rejected" | "invalid_request" | "content_policy" | null;
            /**
             * @description As in the task view; for a task registered with `archive: true`, each output also carries `archived_url` (`archived_watermark_url`, `archived_mp3_url`, `archived_wav_url`): signed links to the relay's copies, valid ARCHIVE_LINK_TTL_SECONDS from when the copies ended, or `archive_error` for a file given up
             * @example [
             *       {
             *         "type": "video",
             *         "id": "v1",
             *         "url": "https://cdn.example/v1.mp4",
             *         "duration": "5.1"
             *       }
             *     ]
             */
            outputs: ({
                type: string;
            } & {
                [key: string]: unknown;
            })[];
            /** @description Upstream's reason when the task failed, else null */
            failure_message: string | null;
            /** @description The upstream `data` object as last received */
            data: {
                [key: string]: unknown;
            } | null;
        };
        /** @description Every failure has this shape. */
        Error: {
            error: {
                /** @enum {string} */
                code: "invalid_request" | "upstream_not_configured" | "unauthorized" | "forbidden" | "own_credentials_required" | "tenant_suspended" | "not_found" | "task_not_found" | "conflict" | "endpoint_disabled" | "endpoint_limit_reached" | "subscription_limit_reached" | "payload_too_large" | "unsupported_media_type" | "range_not_satisfiable" | "rate_limited" | "active_task_limit_reached" | "passthrough_limit_reached" | "upstream_rejected" | "upstream_unavailable" | "misconfigured" | "storage_unavailable" | "internal_error";
                message: string;
                /** @description One entry per invalid field (validation errors), or per invalid setting (`misconfigured`) */
                details?: {
                    /** @description JSON path of the field, '' for the whole body; `misconfigured`: the setting's name */
                    field: string;
                    message: string;
                }[];
                /** @description `upstream_rejected` only: how upstream refused the create */
                upstream?: {
                    /** @description Upstream's own error code (Kling's `code`, CometAPI's `error.code`) */
                    code: string | number | null;
                    /** @description Upstream's own message */
                    message: string;
                };
            };
        };
        /** @description CometAPI's own answer shape (see CometAPI's Kling documentation) */
        CometApiAnswer: {
            /** @description 0: the request was accepted */
            code: number;
            message: string;
            request_id: string;
            /** @description The task: `task_id`, `task_status`, `task_info`, `task_result`, `created_at`, `updated_at` */
            data: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        Health: {
            /** @enum {boolean} */
            ok: true;
            /** @description Whether secrets are stored sealed (SECRETS_KEY is set). False: endpoint secrets are stored in clear (local development) and tenants' upstream credentials are refused */
            secrets_sealed: boolean;
        };
        Subscription: {
            /** @example sub_6f1c0d2e9a8b4c7d5e3f1a2b */
            id: string;
            /** @enum {string} */
            provider: "cometapi" | "kling";
            task_id: string;
            /**
             * @description The tenant's endpoint for `callback_url`, with its own signing secret
             * @example ep_2b7e151628aed2a6abf71588
             */
            endpoint_id: string;
            action: string | null;
            action2: string | null;
            callback_url: string;
            events: ("task.submitted" | "task.processing" | "task.succeeded" | "task.failed" | "task.expired")[];
            metadata: {
                [key: string]: unknown;
            } | null;
            /** @enum {string} */
            status: "active" | "delivered" | "failed" | "cancelled";
            /** @enum {string|null} */
            status_reason: "gone" | "retries_exhausted" | "callback_url_rejected" | null;
            /**
             * @description Last status seen upstream: submitted, processing, succeed, failed (`succeeded` is shown as `succeed`), or any other value upstream sent, as it came (not terminal; see `data`). Null before the first answer.
             * @example processing
             */
            task_status: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            updated_at: string;
        };
        /** @description Registers a callback for a Kling task. Unknown fields are refused. */
        Registration: {
            /**
             * @description The upstream task to watch; or, instead, `create`
             * @example 878106242831892487
             */
            task_id?: string;
            /**
             * @description Instead of `task_id`: the upstream create body for the provider and product (legacy: `action`/`action2`; Kling's new API: `path`). The relay sends it with its own callback URL and an external task id, then registers the task it got. See `Idempotency-Key`.
             * @example {
             *       "prompt": "a cat surfing at sunset",
             *       "duration": "5"
             *     }
             */
            create?: {
                [key: string]: unknown;
            };
            /**
             * @description With `create` for Kling's new API (provider `kling`, no action pair)
             * @example text-to-video/kling-3.0-turbo
             */
            path?: string;
            /**
             * @description `cometapi` (default): through CometAPI's proxy; `kling`: Kling's own API
             * @default cometapi
             * @enum {string}
             */
            provider?: "cometapi" | "kling";
            /**
             * @description Required for `cometapi`; for `kling`, with `action2` a legacy product, without them a task of the new API
             * @enum {string}
             */
            action?: "images" | "videos" | "audio" | "general";
            /**
             * @description The rest of the product path (`avatar/image2video`)
             * @enum {string}
             */
            action2?: "generations" | "kolors-virtual-try-on" | "text2video" | "image2video" | "lip-sync" | "effects" | "multi-image2video" | "multi-elements" | "omni-video" | "text-to-audio" | "video-to-audio" | "video-extend" | "avatar/image2video" | "advanced-lip-sync" | "omni-image" | "multi-image2image" | "editing/expand" | "ai-multi-shot";
            /**
             * Format: uri
             * @description Absolute https URL, at most 2048 characters as stored (normalised and percent-encoded), without credentials or port 0. The host is a DNS name under an ICANN public suffix (not localhost, a metadata host, a single label or a private or special-use name such as .internal, .local, .svc, .test, .onion or .arpa) or a public unicast IP address (not in any IANA special-purpose block)
             * @example https://app.example.com/hooks/kling
             */
            callback_url: string;
            /**
             * @description At most 4096 bytes of JSON, nested at most 32 levels; echoed in every webhook
             * @example {
             *       "user": 42
             *     }
             */
            metadata?: {
                [key: string]: unknown;
            };
            /** @description Copy the task's output files into the relay's R2 bucket before `task.succeeded` goes out; each output then carries `archived_url` (or `archive_error`). Default: the relay's ARCHIVE_DEFAULT. Needs the ARCHIVE bucket, ARCHIVE_LINK_SECRET and PUBLIC_BASE_URL (else 400). */
            archive?: boolean;
            /** @description Default: task.succeeded, task.failed, task.expired */
            events?: ("task.submitted" | "task.processing" | "task.succeeded" | "task.failed" | "task.expired")[];
        };
        BatchRegistrationResults: {
            /** @description One per item of `tasks`, in the same order */
            results: components["schemas"]["BatchRegistrationResult"][];
        };
        /** @description One item's outcome: the status and subscription, or the status and error, that POST /v1/tasks would answer for it */
        BatchRegistrationResult: {
            /** @description 201: a new subscription; 200: the existing one, updated */
            status: 201 | 200;
            subscription: components["schemas"]["Subscription"];
        } | {
            /** @description 400: the item is invalid, or its provider has no upstream account for this tenant; 403/404: the tenant may not reach the task upstream; 409: its task is registered with another action pair, an earlier item names the same subscription, or a cap is reached; 429: the active task cap is reached */
            status: 400 | 403 | 404 | 409 | 429;
            error: {
                /** @enum {string} */
                code: "invalid_request" | "upstream_not_configured" | "unauthorized" | "forbidden" | "own_credentials_required" | "tenant_suspended" | "not_found" | "task_not_found" | "conflict" | "endpoint_disabled" | "endpoint_limit_reached" | "subscription_limit_reached" | "payload_too_large" | "unsupported_media_type" | "range_not_satisfiable" | "rate_limited" | "active_task_limit_reached" | "passthrough_limit_reached" | "upstream_rejected" | "upstream_unavailable" | "misconfigured" | "storage_unavailable" | "internal_error";
                message: string;
                /** @description One entry per invalid field (validation errors), or per invalid setting (`misconfigured`) */
                details?: {
                    /** @description JSON path of the field, '' for the whole body; `misconfigured`: the setting's name */
                    field: string;
                    message: string;
                }[];
                /** @description `upstream_rejected` only: how upstream refused the create */
                upstream?: {
                    /** @description Upstream's own error code (Kling's `code`, CometAPI's `error.code`) */
                    code: string | number | null;
                    /** @description Upstream's own message */
                    message: string;
                };
            };
        };
        /** @description Up to 100 registrations, at most 512 KiB in all. Unknown fields are refused. */
        BatchRegistration: {
            /** @description 1-100 registrations, each as POST /v1/tasks takes it */
            tasks: components["schemas"]["Registration"][];
        };
        Task: {
            /** @enum {string} */
            provider: "cometapi" | "kling";
            task_id: string;
            /** @description Null for a task of Kling's new API */
            action: string | null;
            action2: string | null;
            /**
             * @description Last status seen upstream: submitted, processing, succeed, failed (`succeeded` is shown as `succeed`), or any other value upstream sent, as it came (not terminal; see `data`). Null before the first answer.
             * @example processing
             */
            task_status: string | null;
            polls: number;
            /**
             * Format: date-time
             * @description Null once polling stopped, and null while the tenant is suspended
             * @example 2026-11-24T05:06:09.935Z
             */
            next_poll_at: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            last_polled_at: string | null;
            /**
             * Format: date-time
             * @description When upstream last called back about it (null: never): its polls are then only a safety net
             * @example 2026-11-24T05:06:09.935Z
             */
            last_callback_at: string | null;
            last_error: string | null;
            /** @enum {string|null} */
            finish_reason: "max_age" | "not_found" | "upstream_rejected" | "invalid_request" | "content_policy" | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            finished_at: string | null;
            /**
             * @description The results in the shape of Kling's new API, whatever produced them: `{"type":"video","id","url","watermark_url"?,"duration"}`, `{"type":"image","url","watermark_url"?,"index"?}`, `{"type":"audio","id","mp3_url","wav_url","mp3_duration","wav_duration"}`, and the new API's other entries (`voice`, `element`) as they come. Empty until the task succeeds.
             * @example [
             *       {
             *         "type": "video",
             *         "id": "v1",
             *         "url": "https://cdn.example/v1.mp4",
             *         "duration": "5.1"
             *       }
             *     ]
             */
            outputs: ({
                type: string;
            } & {
                [key: string]: unknown;
            })[];
            /** @description Upstream's reason when the task failed, else null */
            failure_message: string | null;
            /** @description The last upstream `data` object, verbatim */
            data: {
                [key: string]: unknown;
            } | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            updated_at: string;
            subscriptions: components["schemas"]["SubscriptionWithDeliveries"][];
        };
        SubscriptionWithDeliveries: components["schemas"]["Subscription"] & {
            deliveries: components["schemas"]["Delivery"][];
        };
        /** @description One webhook message and every attempt to deliver it */
        Delivery: {
            /**
             * @description The `webhook-id` header: the same on every attempt
             * @example msg_4f0c1b2a3d4e5f6a7b8c9d0e
             */
            webhook_id: string;
            /** @enum {string} */
            event_type: "task.submitted" | "task.processing" | "task.succeeded" | "task.failed" | "task.expired";
            /** @enum {string} */
            status: "pending" | "delivered" | "failed" | "cancelled";
            attempt_count: number;
            /**
             * Format: date-time
             * @description Null unless pending, and null while the tenant is suspended
             * @example 2026-11-24T05:06:09.935Z
             */
            next_attempt_at: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            delivered_at: string | null;
            attempts: components["schemas"]["DeliveryAttempt"][];
        };
        DeliveryAttempt: {
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            attempted_at: string;
            /** @description The receiver's HTTP status; null when no answer came */
            status_code: number | null;
            /** @description Timeout or network error, or why the attempt was not made */
            error: string | null;
            duration_ms: number;
        };
        TaskOutputs: {
            task_id: string;
            /** @enum {string} */
            provider: "cometapi" | "kling";
            /**
             * @description Last status seen upstream: submitted, processing, succeed, failed (`succeeded` is shown as `succeed`), or any other value upstream sent, as it came (not terminal; see `data`). Null before the first answer.
             * @example processing
             */
            task_status: string | null;
            /**
             * @description Null: not archived. `requested`: to be copied once the task succeeds; `copying`: some files are still pending; `done`: every file copied or given up
             * @enum {string|null}
             */
            archive: "requested" | "copying" | "done" | null;
            /**
             * Format: date-time
             * @description When this answer's links stop working (`ARCHIVE_LINK_TTL_SECONDS` from now); null when it has none
             * @example 2026-11-24T05:06:09.935Z
             */
            links_expire_at: string | null;
            /** @description The task's outputs as the task view and the webhook give them (empty until it succeeds), each with `archived_url` (`archived_watermark_url`, ...) for every copied file, `archive_error`, or `archive_status` */
            outputs: components["schemas"]["ArchivedOutput"][];
        };
        ArchivedOutput: {
            type: string;
            /** @description `url`'s archived copy: a signed link, fresh on every answer */
            archived_url?: string;
            /** @description `watermark_url`'s archived copy */
            archived_watermark_url?: string;
            /** @description `mp3_url`'s archived copy */
            archived_mp3_url?: string;
            /** @description `wav_url`'s archived copy */
            archived_wav_url?: string;
            /**
             * @description Why a file of this output has no archived copy (the first such file's reason, prefixed with its field unless it is `url`): the copy was given up, `deleted by retention`, or the relay cannot make links
             * @example watermark_url: upstream answered 404 (after 8 attempts)
             */
            archive_error?: string;
            /**
             * @description A file of this output is still being copied (it has no `archived_` link yet)
             * @enum {string}
             */
            archive_status?: "pending";
        } & {
            [key: string]: unknown;
        };
        Endpoint: {
            /** @example ep_2b7e151628aed2a6abf71588 */
            id: string;
            /** @description The callback URL: an endpoint is created on its first registration */
            url: string;
            /** @description The signature schemes each webhook carries: `v1` (HMAC-SHA256) always, `v1a` (Ed25519) when turned on */
            signing: ("v1" | "v1a")[];
            /**
             * @description With `v1a`: the `whpk_` public key receivers verify with (it cannot sign)
             * @example null
             */
            public_key: string | null;
            /**
             * Format: date-time
             * @description Until then the secret (and key pair) before the last rotation still signs beside the new one
             * @example 2026-11-24T05:06:09.935Z
             */
            previous_secret_expires_at: string | null;
            /**
             * @description At most this many webhooks a second to this endpoint, whichever tick or consumer sends them; null: no limit
             * @example null
             */
            rate_limit_per_second: number | null;
            health: components["schemas"]["EndpointHealth"];
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            updated_at: string;
        };
        EndpointHealth: {
            /**
             * @description `healthy`: its last attempt succeeded. `failing`: failures in a row, fewer than ENDPOINT_CIRCUIT_FAILURES. `circuit_open`: its due webhooks wait, spending no attempts, while one probe at a time is tried. `disabled`: nothing is sent; registrations to it answer 409 until enabled.
             * @enum {string}
             */
            state: "healthy" | "failing" | "circuit_open" | "disabled";
            /** @description Failed attempts since the last success */
            consecutive_failures: number;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            last_success_at: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            last_failure_at: string | null;
            /**
             * @description Why the last failed attempt failed: `http_<status>`, `timeout`, `network_error: ...`
             * @example http_503
             */
            last_failure_reason: string | null;
            /**
             * Format: date-time
             * @description While the circuit is open: when it opened
             * @example 2026-11-24T05:06:09.935Z
             */
            circuit_opened_at: string | null;
            /**
             * Format: date-time
             * @description While the circuit is open: when the next probe goes (at the next tick after it)
             * @example 2026-11-24T05:06:09.935Z
             */
            next_probe_at: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            disabled_at: string | null;
        };
        EndpointUpdate: {
            /**
             * @description `["v1"]`, or `["v1", "v1a"]` to add Ed25519 signatures
             * @example [
             *       "v1",
             *       "v1a"
             *     ]
             */
            signing?: [
                "v1"
            ] | [
                "v1",
                "v1a"
            ];
            /**
             * @description 1-1000 webhooks a second at most, or null for no limit
             * @example 10
             */
            rate_limit_per_second?: number | null;
        };
        EndpointList: {
            data: components["schemas"]["Endpoint"][];
            /** @description Pass as `after` for the next page; null on the last page */
            next_cursor: string | null;
        };
        EndpointSecret: {
            /**
             * @description `whsec_` and the base64 of 32 random bytes
             * @example whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
             */
            key: string;
        };
        EndpointRecovered: {
            /** @description Failed messages sent again by this request */
            recovered: number;
            /** @description True when more than 1000 were failed: ask again (with the same since) for the next ones */
            more: boolean;
        };
        EndpointRecover: {
            /**
             * Format: date-time
             * @description Recover the failed messages created at this time or later: not in the future, nor before `RETENTION_DAYS` ago
             * @example 2026-11-24T05:00:00Z
             */
            since: string;
        };
        MessageList: {
            data: components["schemas"]["Message"][];
            /** @description Pass as `after` for the next (older) page; null on the last page */
            next_cursor: string | null;
        };
        Message: {
            /** @description The `webhook-id` it is sent with */
            id: string;
            subscription_id: string;
            endpoint_id: string;
            provider: string;
            task_id: string;
            /** @example task.succeeded */
            event_type: string;
            /** @enum {string} */
            status: "pending" | "delivered" | "failed" | "cancelled";
            /** @description Attempts made so far */
            attempts: number;
            /**
             * Format: date-time
             * @description When the next attempt is due; null unless pending and due
             * @example 2026-11-24T05:06:09.935Z
             */
            next_attempt_at: string | null;
            /** @description The last attempt's HTTP status, null if it got none */
            last_status_code: number | null;
            /** @description Why the last attempt failed, if it did */
            last_error: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            delivered_at: string | null;
        };
        MessageAttemptList: {
            data: {
                /**
                 * Format: date-time
                 * @example 2026-11-24T05:06:09.935Z
                 */
                attempted_at: string;
                /** @description The receiver's HTTP status, null if it answered none */
                status_code: number | null;
                duration_ms: number;
                /** @description Why the attempt failed, in words; null when delivered */
                error: string | null;
                /**
                 * @description What kind of failure: `http_3xx`, `http_4xx`, `http_5xx` (the receiver's status), `timeout`, `network` (no answer: DNS, refused, reset, TLS), `refused` (not sent: the URL failed the relay's address checks); null when delivered
                 * @enum {string|null}
                 */
                error_class: "http_3xx" | "http_4xx" | "http_5xx" | "timeout" | "network" | "refused" | null;
                /** @description The first 1 KiB of the receiver's answer, as text; null when it sent none (or there was no answer) */
                response_body: string | null;
            }[];
        };
        UpstreamCredentials: {
            /** @enum {string} */
            provider: "cometapi" | "kling";
            /** @description Whether the tenant has its own credentials for this provider */
            configured: boolean;
            /**
             * @description The last 4 characters of the API key (or access key); never more
             * @example x9Qa
             */
            hint: string | null;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            updated_at: string | null;
        };
        /**
         * @description `{api_key}` (CometAPI, or Kling), or `{access_key, secret_key}` (Kling's legacy API only); optional `webhook_secret` (Kling only)
         * @example {
         *       "api_key": "sk-...",
         *       "webhook_secret": "whsec_..."
         *     }
         */
        UpstreamCredentialsBody: {
            api_key: string;
            /** @description Kling only: the account's callback signing secret from Kling's console (callbacks must then carry its signature). Refused for cometapi, whose callbacks are never signed */
            webhook_secret?: string;
        } | {
            access_key: string;
            secret_key: string;
            /** @description Kling only: the account's callback signing secret from Kling's console (callbacks must then carry its signature). Refused for cometapi, whose callbacks are never signed */
            webhook_secret?: string;
        };
        AuditList: {
            data: components["schemas"]["AuditEntry"][];
            /** @description Pass as `cursor` for the next (older) page; null on the last page */
            next_cursor: string | null;
        };
        AuditEntry: {
            /**
             * @description Entries are numbered in the order they were written
             * @example 1042
             */
            id: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            at: string;
            /** @description The tenant acted on or for; null for relay-wide admin actions */
            tenant_id: string | null;
            /** @description Who acted: the admin (ADMIN_API_KEY), or a tenant's key (an API key or a dashboard session made from one) */
            actor: {
                /** @enum {string} */
                kind: "admin" | "key";
                /** @description The key that acted (`key`), null for the admin */
                key_id: string | null;
                /** @description Its visible prefix; null for the admin and keys of RELAY_API_KEYS */
                key_prefix: string | null;
            };
            /**
             * @description `tenant.create`, `tenant.rename`, `tenant.suspend`, `tenant.resume`, `tenant.delete`, `key.create`, `key.revoke`, `endpoint.secret_read`, `endpoint.secret_rotate`, `endpoint.signing_update`, `endpoint.rate_limit_update`, `endpoint.delete`, ...
             * @example endpoint.secret_rotate
             */
            action: string;
            /**
             * @description The id of what was acted on
             * @example ep_2b7e151628aed2a6abf71588
             */
            target: string;
            /** @description The client's address (`CF-Connecting-IP`) */
            client_address: string | null;
            /** @description Small facts about the action (a name, a count); never a secret */
            detail: {
                [key: string]: string | number | boolean | null;
            } | null;
        };
        Tenant: {
            /** @example ten_9b1deb4d3b7d4bad9bdd2b0d */
            id: string;
            name: string;
            /** @description The operator's upstream credentials serve its tasks where it has none of its own (lent: what it creates there is its alone) */
            shared_upstream: boolean;
            /** @description May register or query, on the operator's account, task ids the relay did not create for it */
            trusted: boolean;
            caps: components["schemas"]["TenantCaps"];
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            updated_at: string;
            /**
             * Format: date-time
             * @description Set while suspended: its keys answer 403 and its work waits
             * @example 2026-11-24T05:06:09.935Z
             */
            suspended_at: string | null;
        };
        /** @description What the tenant may hold at once: its own values, or the defaults */
        TenantCaps: {
            /**
             * @description Callback URLs the tenant may have
             * @example 100
             */
            endpoints: number;
            /**
             * @description Active subscriptions on one task
             * @example 10
             */
            subscriptions_per_task: number;
            /**
             * @description Tasks not settled yet
             * @example 100000
             */
            active_tasks: number;
            /**
             * @description Drop-in queries of tasks the relay does not have, passed through to upstream, a minute
             * @example 120
             */
            passthrough_per_minute: number;
        };
        TenantBody: {
            /** @example acme-video */
            name: string;
        };
        TenantChanges: {
            /** @example acme-video */
            name?: string;
            /** @description Lend the operator's upstream credentials (COMETAPI_KEY, KLING_*) to this tenant: what it creates there is its alone */
            shared_upstream?: boolean;
            /** @description Let it register and query, on the operator's account, task ids the relay did not create for it (the operator's own apps) */
            trusted?: boolean;
            /**
             * @description Caps to change; null puts one back to its default
             * @example {
             *       "endpoints": 500
             *     }
             */
            caps?: {
                endpoints?: number | null;
                subscriptions_per_task?: number | null;
                active_tasks?: number | null;
                passthrough_per_minute?: number | null;
            };
        };
        TenantList: {
            data: components["schemas"]["Tenant"][];
        };
        NewApiKey: components["schemas"]["ApiKey"] & {
            /** @description The key itself: shown this once, stored only as a hash */
            key: string;
        };
        ApiKey: {
            /** @example key_7c9e6679742540de944be07f */
            id: string;
            tenant_id: string;
            /**
             * @description The key's first characters, to recognise it
             * @example rk_Xq3bT0aZ
             */
            prefix: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-24T05:06:09.935Z
             */
            revoked_at: string | null;
        };
        ApiKeyList: {
            data: components["schemas"]["ApiKey"][];
        };
        /** @description Where the tenant's operational events are sent */
        OperationsEndpoint: {
            /**
             * @description The endpoint that receives the events: rotate its secret or turn on `v1a` under `/v1/endpoints/{id}`
             * @example ep_2b7e151628aed2a6abf71588
             */
            endpoint_id: string;
            url: string;
            signing: ("v1" | "v1a")[];
            /**
             * @description With `v1a`: the `whpk_` public key receivers verify with
             * @example null
             */
            public_key: string | null;
            /**
             * @description Only in the answer to the `PUT` that created the endpoint: its `whsec_` signing secret. Otherwise null: read it with `GET /v1/endpoints/{endpoint_id}/secret`
             * @example whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
             */
            secret: string | null;
            /** Format: date-time */
            created_at: string;
        };
        OperationsEndpointUpdate: {
            /**
             * Format: uri
             * @description Where operational events go: the same rules as a registration's `callback_url`
             * @example https://app.example.com/hooks/relay-operations
             */
            url: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
