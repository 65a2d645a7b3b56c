import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type DestinationPolicy, type Resolver, systemResolver } from '../../webhooks/destination.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Which webhook destinations the API accepts (src/webhooks/destination.ts). */
    webhookPolicy: DestinationPolicy;
  }
}

export interface WebhooksPluginOptions {
  /** How webhook hosts are resolved at validation (tests inject one); default: the system's. */
  resolver?: Resolver;
}

async function webhooksPlugin(app: FastifyInstance, options: WebhooksPluginOptions) {
  app.decorate('webhookPolicy', {
    allowedHosts: app.config.webhook.allowedHosts,
    resolver: options.resolver ?? systemResolver,
  });
}

export default fp(webhooksPlugin, { name: 'webhooks', dependencies: ['config'] });
