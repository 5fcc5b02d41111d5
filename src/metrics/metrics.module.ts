import { Module } from '@nestjs/common';
import { Metrics } from './metrics.service';

/** The metrics registry and its instruments, for the modules that report what they do. */
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
