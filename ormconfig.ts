import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options';

/** The DataSource for the TypeORM CLI: `npm run migration:run` (needs DATABASE_URL). */
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set to run migrations from the CLI');
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL));
