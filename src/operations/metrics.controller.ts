import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Metrics } from '../metrics/metrics.service';
import { DeskStateSampler } from './desk-state.sampler';

/** Renders the registry in Prometheus' text format, with the desk's numbers as fresh as a moment allows. */
export async function renderMetrics(metrics: Metrics, sampler: DeskStateSampler): Promise<{ contentType: string; body: string }> {
  await sampler.fresh();
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

/** `GET /metrics` on the app's own port (METRICS_PORT unset). */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly sampler: DeskStateSampler,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await renderMetrics(this.metrics, this.sampler);
    res.setHeader('Content-Type', contentType);
    res.end(body);
  }
}
