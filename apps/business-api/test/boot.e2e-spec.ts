import { describeServiceBasics } from '@chatbot/testing';
import { businessApiDefinition } from '../src/app.definition';

describeServiceBasics(businessApiDefinition, { docs: true });
