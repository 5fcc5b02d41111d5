import { AgentRepliedListener } from './agent-replied.listener';
import { CustomerBlockedListener } from './customer-blocked.listener';
import { MessageEditedListener } from './message-edited.listener';
import { TicketCreatedListener } from './ticket-created.listener';
import { TicketLifecycleListener } from './ticket-lifecycle.listener';
import { TicketMessageListener } from './ticket-message.listener';

/** Every listener of the forum module: each turns a ticket fact into the forum's jobs. */
export const FORUM_LISTENERS = [
  TicketCreatedListener,
  TicketMessageListener,
  TicketLifecycleListener,
  AgentRepliedListener,
  MessageEditedListener,
  CustomerBlockedListener,
];
