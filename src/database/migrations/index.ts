import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { DeliveryBookkeeping1764000100000 } from './1764000100000-delivery-bookkeeping';
import { Conversation1764000200000 } from './1764000200000-conversation';
import { Ai1764000300000 } from './1764000300000-ai';
import { Inbox1764000400000 } from './1764000400000-inbox';
import { FloodAndActivity1764000500000 } from './1764000500000-flood-and-activity';
import { WorkLeases1764000600000 } from './1764000600000-work-leases';
import { TicketNotices1764000700000 } from './1764000700000-ticket-notices';
import { Retention1764001500000 } from './1764001500000-retention';
import { LastSpeaker1764001600000 } from './1764001600000-last-speaker';
import { TopicIcon1764001700000 } from './1764001700000-topic-icon';
import { Ratings1764001800000 } from './1764001800000-ratings';
import { Team1764002000000 } from './1764002000000-team';
import { SlowDown1764002100000 } from './1764002100000-slow-down';
import { IntakeIndex1764002200000 } from './1764002200000-intake-index';
import { TicketGroup1764002300000 } from './1764002300000-ticket-group';
import { SharedBudget1764002400000 } from './1764002400000-shared-budget';
import { AckStarted1764002470000 } from './1764002470000-ack-started';
import { SentAnswers1764002500000 } from './1764002500000-sent-answers';

/** Every migration, in order. Listed explicitly so the app, the CLI and the tests load the same set. */
export const migrations = [
  InitialSchema1764000000000, DeliveryBookkeeping1764000100000, Conversation1764000200000, Ai1764000300000, Inbox1764000400000,
  FloodAndActivity1764000500000,
  WorkLeases1764000600000,
  TicketNotices1764000700000,
  Retention1764001500000,
  LastSpeaker1764001600000,
  TopicIcon1764001700000,
  Ratings1764001800000,
  Team1764002000000,
  SlowDown1764002100000,
  IntakeIndex1764002200000,
  TicketGroup1764002300000,
  SharedBudget1764002400000,
  AckStarted1764002470000,
  SentAnswers1764002500000,
];
