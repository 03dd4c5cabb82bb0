/** The validated GatewayConfig, as a DI token (also served through @nestjs/config). */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
