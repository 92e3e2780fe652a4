import { runService } from '@social/kit';
import { subgraphs } from '../../../scripts/subgraphs.js';
import { createService } from './subgraph.js';

const info = subgraphs.find((s) => s.name === 'chat');
await runService('chat', info?.port ?? 0, createService);
