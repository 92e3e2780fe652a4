// Jest loads global setup outside its module system, so the TypeScript setup is imported through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { setup } = await tsImport('./postgres-setup.ts', import.meta.url);
  await setup();
}
