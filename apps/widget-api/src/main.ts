import 'reflect-metadata';
import { runService } from '@chatbot/platform';
import { widgetApiDefinition } from './app.definition';

void runService(widgetApiDefinition);
