import { lightModelSuite } from './light-suite.js';
import { tilecProcess } from './cli.js';

// Criterion 2 for VGG-19 (19.6 GMAC, the largest program by far), in its own file so vitest runs it beside the
// other models, and in its own tilec process with node's default heap, as a user runs it: when it runs out of
// memory this test fails with node's message instead of taking the test worker down.
lightModelSuite(['vgg19'], tilecProcess);
