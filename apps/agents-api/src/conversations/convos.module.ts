import { Module } from '@nestjs/common';
import { ConvosController } from './convos.controller';
import { ConvosRepository } from './convos.repository';
import { ConvosService } from './convos.service';

/** The conversations read side: list, get, patch, delete, assign and export (`/v3/agents/:agentId/convos`). */
@Module({ controllers: [ConvosController], providers: [ConvosService, ConvosRepository], exports: [ConvosRepository] })
export class ConvosModule {}
