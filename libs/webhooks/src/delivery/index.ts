// Delivery building blocks: SSRF-guarded dispatcher, Standard Webhooks signing, payload templates, retry policy and
// the HTTP sender. Queue processing and persistence live elsewhere.
export * from './ssrf-guard';
export * from './signature';
export * from './payload-template';
export * from './retry-policy';
export * from './http-sender';
