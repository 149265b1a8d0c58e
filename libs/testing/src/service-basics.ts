import type { EnvSchema, ServiceDefinition } from '@chatbot/platform';
import { request } from './http';
import { type RunningService, startService } from './service';

/**
 * The checks every service must pass once booted for real: health, readiness, metrics, docs, request ids, the error
 * shape, deny-by-default. Each app's boot test calls this with its definition.
 */
export function describeServiceBasics<S extends EnvSchema>(definition: ServiceDefinition<S>, options: { docs: boolean }): void {
  describe(`${definition.name} boots for real`, () => {
    let service: RunningService;

    beforeAll(async () => {
      service = await startService(definition);
    });

    afterAll(async () => {
      await service?.close();
    });

    it('GET /health/live: 200', async () => {
      const res = await request('GET', `${service.baseUrl}/health/live`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready: 200 with Postgres and Redis up', async () => {
      const res = await request('GET', `${service.baseUrl}/health/ready`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    });

    it('GET /metrics: Prometheus text with process and HTTP metrics', async () => {
      await request('GET', `${service.baseUrl}/health/live`);
      const res = await fetch(`${service.baseUrl}/metrics`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toMatch(/http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
    });

    it('echoes a caller request id, and makes one when there is none', async () => {
      const given = await request('GET', `${service.baseUrl}/health/live`, { headers: { 'x-request-id': 'trace-abc-123' } });
      expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
      const made = await request('GET', `${service.baseUrl}/health/live`);
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('an unknown route is 404 in the error shape (an app may wrap it in its envelope)', async () => {
      const res = await request('GET', `${service.baseUrl}/no/such/route`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });

    if (options.docs) {
      it('serves Swagger UI at /docs and OpenAPI 3 at /docs-json, documenting bearer auth', async () => {
        const ui = await fetch(`${service.baseUrl}/docs`);
        expect(ui.status).toBe(200);
        expect(await ui.text()).toContain('swagger-ui');
        const doc = await request<{ openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } }>(
          'GET',
          `${service.baseUrl}/docs-json`,
        );
        expect(doc.status).toBe(200);
        expect(doc.body.openapi).toMatch(/^3\./);
        expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
        expect(doc.body.components.securitySchemes).toHaveProperty('bearer');
      });
    } else {
      it('has no public docs', async () => {
        expect((await fetch(`${service.baseUrl}/docs`)).status).toBe(404);
      });
    }
  });
}
