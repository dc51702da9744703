import { lightModelSuite } from './light-suite.js';

// Eight of the nine light architectures; VGG-19, as long as these together, has its own file so vitest
// runs the two in parallel.
lightModelSuite(['bvlc_alexnet', 'densenet121', 'inception_v1', 'inception_v2', 'resnet50', 'shufflenet', 'squeezenet', 'zfnet512']);
