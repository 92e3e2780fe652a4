import { defaultPort, runService } from '@social/kit';
import { createService } from './subgraph.js';

await runService('chat', defaultPort('chat'), createService);
