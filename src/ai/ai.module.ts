import { Global, Module } from '@nestjs/common';
import { NoTopicTitles, TopicTitleSource } from './topic-title.port';

@Global()
@Module({
  providers: [{ provide: TopicTitleSource, useClass: NoTopicTitles }],
  exports: [TopicTitleSource],
})
export class AiModule {}
