/** Injection token for the app's typed, validated configuration (an object extending CommonConfig). */
export const APP_CONFIG = Symbol('APP_CONFIG');
