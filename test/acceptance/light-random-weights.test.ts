import { lightRandomWeightsSuite } from './light-suite.js';

// Criterion 2 on values (see lightRandomWeightsSuite): the architectures that cover every kind of layer the
// tiler meets (concatenations: SqueezeNet, Inception, DenseNet; grouped and depthwise convolutions:
// ShuffleNet; residual additions and 1x1 / strided convolutions: ResNet-50), within the CI budget. The plain
// stacks (AlexNet, ZFNet, VGG) add nothing new but minutes.
lightRandomWeightsSuite(['squeezenet', 'shufflenet', 'inception_v1', 'resnet50', 'densenet121']);
