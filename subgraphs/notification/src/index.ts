import { runService } from '@social/kit';
import { subgraphs } from '../../../scripts/subgraphs.js';
import { createService } from './subgraph.js';

const info = subgraphs.find((s) => s.name === 'notification');
await runService('notification', info?.port ?? 0, createService);
