/**
 * `<Redirect method="GET|POST">URL</Redirect>`: the call goes on with the TwiML at URL (relative to the current
 * document's URL), requested with the call's parameters. The verbs after it are never reached.
 *
 * @example
 *   <Response><Redirect method="GET">/next-step</Redirect></Response>
 */
import { parsed, problem, requestMethod, requestUrl, type NextRequest, type Verb } from '../verb.js';

export const redirect: Verb<NextRequest> = {
  name: 'Redirect',
  parse({ attributes, text }, scope) {
    if (text === '') return problem(11100, '<Redirect> needs the URL of the next document as its text.');
    const url = requestUrl(text, 'URL', 'Redirect', scope);
    if (!url.ok) return url;
    const method = requestMethod(attributes, 'Redirect');
    if (!method.ok) return method;
    return parsed({ url: url.value, method: method.value, params: {}, evenIfHungUp: false });
  },
  answers: () => false,
  async run(request) {
    return { kind: 'request', request };
  },
};
