// The enrichers the agent runs on every document, in order. Each reads the fields it needs and leaves any
// document without them untouched, so one list serves EAS and Windows-event documents alike.

import type { Enricher } from '../pipeline/stages.types.js';
import {
  enrichDeviceModel,
  enrichEasStatusName,
  enrichExchangeBuild,
  enrichIosFromUserAgent,
} from './eas-enrichers.js';

export const defaultEnrichers: readonly Enricher[] = [
  enrichIosFromUserAgent,
  enrichDeviceModel,
  enrichExchangeBuild,
  enrichEasStatusName,
];
