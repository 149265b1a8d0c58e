import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { toErrorBody } from './all-exceptions.filter';

describe('toErrorBody', () => {
  it('maps HttpExceptions, keeping details', () => {
    expect(toErrorBody(new NotFoundException('Agent not found'))).toEqual({ statusCode: 404, error: 'Not Found', message: 'Agent not found' });
    expect(toErrorBody(new BadRequestException({ message: 'bad', details: [{ field: 'x' }] }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'bad',
      details: [{ field: 'x' }],
    });
    expect(toErrorBody(new HttpException('slow down', 429))).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'slow down' });
  });

  it('maps Fastify client errors to their 4xx', () => {
    expect(toErrorBody(Object.assign(new Error('x'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).statusCode).toBe(413);
    expect(toErrorBody(Object.assign(new Error('Unexpected end'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })).message).toMatch(
      /Malformed JSON/,
    );
  });

  it('hides everything about unexpected errors', () => {
    expect(toErrorBody(new TypeError('secret internals'))).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(toErrorBody(Object.assign(new Error('db down'), { statusCode: 503 })).statusCode).toBe(500);
  });
});
