import 'reflect-metadata';
import { runService } from '@chatbot/platform';
import { businessApiDefinition } from './app.definition';

void runService(businessApiDefinition);
