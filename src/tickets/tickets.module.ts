import { Module } from '@nestjs/common';
import { CategoryCatalog } from './category-catalog.service';
import { IntakeKeyboards } from './intake-keyboards';
import { WakeSyncListener } from './listeners/wake-sync.listener';
import { TicketsService } from './tickets.service';
import { TicketsUpdate } from './tickets.update';

@Module({
  providers: [CategoryCatalog, IntakeKeyboards, TicketsService, TicketsUpdate, WakeSyncListener],
  exports: [CategoryCatalog, TicketsService],
})
export class TicketsModule {}
