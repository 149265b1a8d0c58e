import { Injectable } from '@nestjs/common';

export type ProjectionChangeListener = (agentId: string) => Promise<void>;

/**
 * Tells readers of the projection (the widget config cache) that an agent's row was written. The processor awaits
 * every listener before completing its job, so a failed cache refresh fails the job and is retried.
 */
@Injectable()
export class ProjectionChanges {
  private readonly listeners: ProjectionChangeListener[] = [];

  onChange(listener: ProjectionChangeListener): void {
    this.listeners.push(listener);
  }

  async changed(agentId: string): Promise<void> {
    await Promise.all(this.listeners.map((listener) => listener(agentId)));
  }
}
