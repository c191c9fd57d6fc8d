// A root-level hook: runs once after every test file, and stops the control plane this run started.
import { releaseTestCluster } from './cluster.js';

after(() => releaseTestCluster());
