import type { Scenario } from '../scenario';
import { burstLimits } from './burst-limits';
import { burstUnlimited } from './burst-unlimited';
import { capacity, capacityTwoGroups } from './capacity';
import { quietDesk } from './quiet-desk';
import { seedOrdering } from './seed-ordering';

/** In the order a full run takes them. */
export const SCENARIOS: Scenario[] = [burstUnlimited, burstLimits, quietDesk, capacity, capacityTwoGroups, seedOrdering];
