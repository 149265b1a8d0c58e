export * from './chat-engine';
export * from './engine-resolver';
export * from './engine.module';
export * from './gemini-engine';
export * from './offline-engine';
export * from './openai-compatible-engine';
export * from './signals';
export { buildSystemInstruction, isGeminiModel } from './prompt';
