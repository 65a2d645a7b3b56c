import { z } from 'zod';

/**
 * `webhook: {url}` of a job or comparison spec (API.md "Webhooks"). The schema checks the URL's
 * form only (http or https, a host, no credentials); which destinations are allowed depends on
 * the server (WEBHOOK_ALLOWED_HOSTS, and where the host resolves), and is checked by the API
 * (src/webhooks/destination.ts) once the spec is valid, and again by the worker at send time.
 */

const MAX_URL_LENGTH = 2000;

export const webhookSpecSchema = z
  .strictObject({
    url: z
      .string()
      .max(MAX_URL_LENGTH)
      .superRefine((value, context) => {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          context.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
          return;
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          context.addIssue({ code: 'custom', message: `must be an http(s) URL, not ${url.protocol}` });
        } else if (url.username !== '' || url.password !== '') {
          context.addIssue({ code: 'custom', message: 'must not carry credentials (user:password@)' });
        }
      })
      .describe(
        'Where the final Job (or Comparison) is POSTed when it finishes. https, or http for hosts the server ' +
          'lists in WEBHOOK_ALLOWED_HOSTS; loopback, private, link-local and metadata addresses are refused ' +
          'unless listed there.',
      )
      .meta({ examples: ['https://ci.example.org/hooks/descent'] }),
  })
  .describe('Optional: a POST to `url` when the run finishes (completed, failed or cancelled), signed.');

export type WebhookSpec = z.output<typeof webhookSpecSchema>;
