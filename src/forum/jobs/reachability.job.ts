import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobMap, JobQueue } from '../../jobs/job-queue';
import { I18n } from '../../telegram/i18n/i18n.service';
import { TelegramGateway } from '../../telegram/telegram.gateway';

/** `customer.reachability`: tells the agents in the customer's latest topic that they blocked or unblocked the bot. */
@Injectable()
export class ReachabilityJob implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('customer.reachability', (data) => this.run(data));
  }

  private async run({ customerId, blocked }: JobMap['customer.reachability']): Promise<void> {
    const [ticket]: { thread_id: number | null }[] = await this.dataSource.query(
      `SELECT thread_id FROM tickets WHERE customer_id = $1 AND thread_id IS NOT NULL ORDER BY (status = 'open') DESC, id DESC LIMIT 1`,
      [customerId],
    );
    if (!ticket?.thread_id) return;
    await this.gateway.sendMessage(
      this.config.supportChatId,
      this.i18n.t(this.config.supportLanguage, blocked ? 'topic.blocked' : 'topic.unblocked'),
      { message_thread_id: ticket.thread_id },
      { lane: 'group' },
    );
  }
}
