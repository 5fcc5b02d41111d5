import { Module } from '@nestjs/common';
import { AutoCloseService } from './auto-close.service';

@Module({ providers: [AutoCloseService], exports: [AutoCloseService] })
export class AutoCloseModule {}
