/**
 * The query of a route that takes no parameters: any parameter is refused, as the routes with
 * a query DTO refuse one they do not know, rather than ignored (a misspelt `?namespace=` must
 * not read the default namespace).
 */
export class NoQuery {}
