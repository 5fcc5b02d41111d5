import { Module } from '@nestjs/common';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { TicketsModule } from '../tickets/tickets.module';
import { AutoCloseService } from './auto-close.service';

@Module({ imports: [TelegramCoreModule, TicketsModule], providers: [AutoCloseService], exports: [AutoCloseService] })
export class AutoCloseModule {}
