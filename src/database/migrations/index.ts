import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { DeliveryBookkeeping1764000100000 } from './1764000100000-delivery-bookkeeping';

/** Every migration, in order. Listed explicitly so the app, the CLI and the tests load the same set. */
export const migrations = [InitialSchema1764000000000, DeliveryBookkeeping1764000100000];
