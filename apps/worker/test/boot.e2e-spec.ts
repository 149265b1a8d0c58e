import { describeServiceBasics } from '@chatbot/testing';
import { workerDefinition } from '../src/app.definition';

describeServiceBasics(workerDefinition, { docs: false });
