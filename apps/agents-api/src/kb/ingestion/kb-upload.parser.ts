import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG } from '@chatbot/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentsApiConfig } from '../../config/agents-api.config';

/** A multipart upload, parsed: its file and its text fields. */
export interface KbUpload {
  file: { fileName: string; contentType: string; bytes: Buffer } | null;
  /** Text fields (a field given several times keeps every value, e.g. `tags`). */
  fields: Map<string, string[]>;
}

/** Requests the parser attaches the upload to (the route's JSON body is then `{}`). */
export type RequestWithUpload = FastifyRequest & { kbUpload?: KbUpload };

/** Room for the multipart framing and the text fields beside the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const KB_ROUTE = /^\/v3\/agents\/[^/?]+\/kb\/?(\?|$)/;

function httpError(statusCode: number, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode, code: statusCode === 413 ? 'KB_UPLOAD_TOO_LARGE' : 'KB_UPLOAD_REJECTED' });
}

/**
 * Accepts `multipart/form-data` on `POST /v3/agents/:agentId/kb` only (415 elsewhere), up to KB_MAX_UPLOAD_BYTES for
 * the file: a larger request is refused with 413 as soon as its Content-Length (or, streamed, its size) says so, before
 * it is buffered. The form is parsed with the platform's own parser (undici's `Response.formData`) and attached to the
 * request as `kbUpload`.
 *
 * Registered while the application is being built (a provider's constructor), so the parser exists before Nest adds
 * its routes.
 */
@Injectable()
export class KbUploadParser {
  constructor(adapterHost: HttpAdapterHost, @Inject(APP_CONFIG) config: AgentsApiConfig) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || typeof fastify.addContentTypeParser !== 'function' || fastify.hasContentTypeParser('multipart/form-data')) return;
    const limit = config.KB_MAX_UPLOAD_BYTES;
    fastify.addContentTypeParser('multipart/form-data', (request, payload, done) => {
      if (request.method !== 'POST' || !KB_ROUTE.test(request.url)) {
        done(httpError(415, 'multipart/form-data is only accepted by POST /v3/agents/:agentId/kb (file uploads)'), undefined);
        return;
      }
      const tooLarge = () => httpError(413, `The upload is larger than the ${limit}-byte limit (KB_MAX_UPLOAD_BYTES)`);
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit + FORM_OVERHEAD_BYTES) {
        done(tooLarge(), undefined);
        return;
      }
      const parts: Buffer[] = [];
      let total = 0;
      let finished = false;
      const finish = (err: Error | null, body?: unknown) => {
        if (finished) return;
        finished = true;
        payload.removeListener('data', onData);
        done(err, body);
      };
      const onData = (chunk: Buffer) => {
        total += chunk.length;
        if (total > limit + FORM_OVERHEAD_BYTES) finish(tooLarge());
        else parts.push(chunk);
      };
      payload.on('data', onData);
      payload.once('error', (err) => finish(err));
      payload.once('end', () => {
        if (finished) return;
        parseForm(Buffer.concat(parts), String(request.headers['content-type'])).then(
          (upload) => {
            (request as RequestWithUpload).kbUpload = upload;
            finish(null, {});
          },
          (err: Error) => finish(httpError(400, `Malformed multipart body: ${err.message}`)),
        );
      });
    });
  }
}

async function parseForm(body: Buffer, contentType: string): Promise<KbUpload> {
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  const upload: KbUpload = { file: null, fields: new Map() };
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      upload.fields.set(name, [...(upload.fields.get(name) ?? []), value]);
    } else if (name === 'file' && upload.file === null) {
      upload.file = { fileName: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
    } else {
      throw new Error(`unexpected file field "${name}" (send one file, in the field "file")`);
    }
  }
  return upload;
}
