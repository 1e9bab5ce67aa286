// POST /api/me: PubNub's older session login (CONTRACT §7). No API key and no version header.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bodyErrorResponses } from '../http/schemas.js';
import type { UsersService } from './users.service.js';

const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254, 'x-storable': true }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

const SessionSchema = Type.Object({
  result: Type.Object({
    token: Type.String({ description: 'Send it as x-session-token on /api/oem/… routes' }),
    user_id: Type.Integer(),
    expires: Type.String({ format: 'date-time', description: '24 hours after login; a password change ends it sooner' }),
  }),
});

export const sessionRoutes: FastifyPluginAsyncTypebox<{ users: UsersService }> = async (app, { users }) => {
  users.prepareLogins();
  app.post('/api/me', {
    schema: {
      tags: ['Legacy session API'], summary: 'Log in as a user of a partner account; answers a session token',
      body: LoginBody, response: { 200: SessionSchema, ...bodyErrorResponses() },
    },
  }, async (req) => ({ result: await users.login(req.body.email, req.body.password) }));
};
