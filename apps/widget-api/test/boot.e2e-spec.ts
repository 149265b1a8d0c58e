import { describeServiceBasics } from '@chatbot/testing';
import { widgetApiDefinition } from '../src/app.definition';

describeServiceBasics(widgetApiDefinition, { docs: true });
