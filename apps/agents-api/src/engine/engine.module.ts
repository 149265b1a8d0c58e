import { Module } from '@nestjs/common';
import { EngineResolver } from './engine-resolver';

/** Reply engines. Import it and inject `EngineResolver` (APP_CONFIG and APP_LOGGER come from PlatformModule). */
@Module({
  providers: [EngineResolver],
  exports: [EngineResolver],
})
export class EngineModule {}
