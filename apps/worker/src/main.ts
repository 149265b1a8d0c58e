import 'reflect-metadata';
import { runService } from '@chatbot/platform';
import { workerDefinition } from './app.definition';

void runService(workerDefinition);
