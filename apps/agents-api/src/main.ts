import 'reflect-metadata';
import { runService } from '@chatbot/platform';
import { agentsApiDefinition } from './app.definition';

void runService(agentsApiDefinition);
