import { describeServiceBasics } from '@chatbot/testing';
import { agentsApiDefinition } from '../src/app.definition';

describeServiceBasics(agentsApiDefinition, { docs: true });
