import { defaultPort, runService } from '@social/kit';
import { createService } from './subgraph.js';

await runService('notification', defaultPort('notification'), createService);
