/**
 * The body of a route that takes none (`PUT /v1/namespaces/{name}`, the DELETE routes): a body
 * with any field is refused rather than ignored, since a caller who sent one meant it to do
 * something (vectors sent to the route that creates an empty namespace would be dropped). No
 * body, `null` and `{}` are accepted, as clients send them.
 */
export class NoBody {}
