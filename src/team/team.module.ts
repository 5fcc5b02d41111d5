import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { TicketCards } from '../forum/ticket-cards.service';
import { TopicStatusService } from '../forum/topic-status.service';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { TicketsModule } from '../tickets/tickets.module';
import { AgentDirectory } from './agent-directory.service';
import { TeamWorkJob } from './jobs/team-work.job';
import { TEAM_LISTENERS } from './listeners/team.listeners';
import { ReadyAnswers } from './ready-answers';
import { TeamRepository } from './repositories/team.repository';
import { SlaService } from './sla.service';
import { TeamGate } from './team-gate.service';
import { TeamNotes } from './team-notes.service';
import { TeamService } from './team.service';
import { TeamUpdate } from './team.update';

/**
 * Team tools: who counts as an agent, ownership and the first-response reminder, ready answers, and
 * bans. The forum imports it to screen messages in topics (TeamGate); the bans themselves are checked
 * at intake (ModerationRepository, provided by the tickets module, which owns intake). TicketCards is
 * a stateless builder over the tickets module's repositories, provided here too so this module does
 * not import the forum that imports it. So is TopicStatusService, the app's one (its state: the icons'
 * ids and the icon changes waiting for room in their groups), exported to the forum and the AI module:
 * a ready answer and a sent AI draft change the icon as a message does.
 */
@Module({
  imports: [DatabaseModule, TelegramCoreModule, TicketsModule],
  providers: [...TEAM_LISTENERS, AgentDirectory, ReadyAnswers, TeamRepository, TeamService, TeamGate, TeamNotes, TeamWorkJob, SlaService, TeamUpdate, TicketCards, TopicStatusService],
  exports: [TeamGate, AgentDirectory, TopicStatusService],
})
export class TeamModule {}
