import { Module } from '@nestjs/common';
import { AgentProjectionRepository } from './agent-projection.repository';
import { ProjectionChanges } from './projection-changes';
import { ProjectionProcessor } from './projection.processor';

/** widget-api's read model of agents, and the BullMQ consumer (`widget-projection` queue) that fills it. */
@Module({
  providers: [AgentProjectionRepository, ProjectionChanges, ProjectionProcessor],
  exports: [AgentProjectionRepository, ProjectionChanges],
})
export class ProjectionModule {}
