import { lightModelSuite } from './light-suite.js';

// Criterion 2 for eight of the nine light architectures, in-process (VGG-19 runs in its own file and process: light-models-vgg19.test.ts).
lightModelSuite(['bvlc_alexnet', 'squeezenet', 'shufflenet', 'zfnet512', 'inception_v1', 'resnet50', 'inception_v2', 'densenet121']);
