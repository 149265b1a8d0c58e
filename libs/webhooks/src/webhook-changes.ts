/**
 * Postgres NOTIFY channel raised when a webhook's delivery settings change or it is deleted; the payload is the
 * webhook's id. A trigger on `business.webhooks` raises it at commit, whoever writes (business-api migration
 * `1763700019000`); changes to the failure counters alone raise nothing.
 */
export const WEBHOOK_CHANGED_CHANNEL = 'webhook_changed';
